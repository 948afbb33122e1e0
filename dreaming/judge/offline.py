"""The offline judge: a case the core could not settle stays as it is, for review."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dreaming.pipeline.stages import JudgeCase, JudgeVerdict, StageContext


class OfflineJudge:
    """Offline, an unsure case stays as it is: both memories are kept."""

    name = "offline"

    def __init__(self, **options: Any):
        pass

    def judge(self, cases: Sequence[JudgeCase], ctx: StageContext) -> list[JudgeVerdict]:
        return [
            JudgeVerdict(case_id=c.case_id, decision="undecided", reason="left for review: no model to judge it offline")
            for c in cases
        ]
