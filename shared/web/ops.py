"""`GET /api/v1/ops/<service>/queues`: what waits in a service's queues and outbox (admins)."""

from __future__ import annotations

from pydantic import BaseModel

from shared.web.api import ApiRequest, ApiRoutes
from shared.web.keys import RELAY, TOPOLOGY, TRANSPORT


class QueueDepth(BaseModel):
    """Messages ready in one queue (None when the broker cannot be asked)."""

    name: str
    messages: int | None


class OutboxState(BaseModel):
    """Rows of the outbox not yet published."""

    pending: int
    parked: int
    oldest_age_s: float


class OpsQueues(BaseModel):
    """Operational state of one service's messaging."""

    service: str
    queues: list[QueueDepth]
    outbox: OutboxState


def ops_routes(service: str) -> ApiRoutes:
    """Return the admin route describing this service's queues and outbox."""
    routes = ApiRoutes()

    # Every service serves this function: its operationId names the service, so the three
    # documents behind one origin never share an operationId.
    @routes.get(f"/api/v1/ops/{service}/queues", response=OpsQueues, roles={"admin"},
                tags=("ops",), operation_id=f"{service}_queue_depths")
    async def queue_depths(req: ApiRequest[None, None]) -> OpsQueues:
        """Show messages waiting in the work, retry, error and skipped queues and the outbox."""
        transport = req.app[TRANSPORT]
        depths: list[QueueDepth] = []
        topology = req.app.get(TOPOLOGY)
        names = topology.all_queues if topology is not None else []
        for name in names:
            try:
                depths.append(QueueDepth(name=name, messages=await transport.message_count(name)))
            except Exception:  # broker down or queue not declared yet
                depths.append(QueueDepth(name=name, messages=None))
        stats = await req.app[RELAY].refresh_stats() if RELAY in req.app else {}
        return OpsQueues(
            service=service,
            queues=depths,
            outbox=OutboxState(
                pending=int(stats.get("pending", 0)),
                parked=int(stats.get("parked", 0)),
                oldest_age_s=float(stats.get("oldest_age", 0.0)),
            ),
        )

    return routes
