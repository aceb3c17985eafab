"""Re-signing a certificate's credential in the Open Badges 3.0 encoding (an admin's action)."""

from __future__ import annotations

from services.certification.api.base import TAGS, routes
from services.certification.handlers import credentials as resigning
from services.certification.keys import DEPS
from services.certification.views.models import CredentialOut
from shared.web.api import ApiRequest


@routes.post("/api/v1/certificates/{certificate_id}/credential/reissue", response=CredentialOut,
             roles={"admin"}, tags=TAGS)
async def reissue_credential(req: ApiRequest[None, None]) -> CredentialOut:
    """Re-sign the credential as an OB 3.0 VC-JWT with the current key: same number and status."""
    row = await resigning.reissue_credential(req.path_uuid("certificate_id"),
                                             deps=req.app[DEPS], actor=req.user)
    assert row.credential is not None
    return CredentialOut(format="vc+jwt", credential=row.credential)
