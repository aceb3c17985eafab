"""`jiangxin` sub-commands of the certification service."""

from __future__ import annotations

import argparse


def register(_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this service's commands to the `jiangxin` parser."""
