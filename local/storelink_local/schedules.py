"""Schedule and ScheduleV2 events: the event EventBridge delivers, fired on demand or on their rate().

cron() schedules are fired on demand only: running them on time would mean a cron evaluator for a
laptop session, and `fire_schedule` covers what development needs.
"""

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storelink_local.invocations import Invoker
from storelink_local.template import Function, ScheduleEvent, StackContext, Template

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledTarget:
    function: Function
    schedule: ScheduleEvent

    @property
    def key(self) -> str:
        return f"{self.function.logical_id}.{self.schedule.name}"


def scheduled_targets(template: Template) -> list[ScheduledTarget]:
    return [
        ScheduledTarget(function, schedule)
        for function in template.functions.values()
        for schedule in function.schedule_events
    ]


def scheduled_event(schedule: ScheduleEvent, context: StackContext) -> Any:
    """What the function receives. With Input, EventBridge sends the Input itself and nothing of the event."""
    if schedule.input is not None:
        return json.loads(schedule.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        # EventBridge Scheduler (ScheduleV2) documents only a "default notification" when Input is unset;
        # locally it gets the same envelope as a rule's, with the scheduler as its source.
        "source": "aws.events" if schedule.kind == "Schedule" else "aws.scheduler",
        "account": context.account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": context.region,
        "resources": [schedule.resource_arn],
        "detail": {},
    }


class Schedules:
    def __init__(self, template: Template, invoke: Invoker):
        self.targets = scheduled_targets(template)
        self._context = template.context
        self._invoke = invoke
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def find(self, name: str) -> ScheduledTarget:
        """By `Function.Event`, by event name, or by function when it has a single schedule."""
        found = [t for t in self.targets if name in (t.key, t.schedule.name, t.function.logical_id)]
        if len(found) != 1:
            known = ", ".join(t.key for t in self.targets) or "none"
            problem = "matches no schedule" if not found else "is ambiguous; use Function.Event"
            raise KeyError(f"{name!r} {problem} (schedules: {known})")
        return found[0]

    def fire(self, target: ScheduledTarget) -> Any:
        return self._invoke(
            target.function.logical_id,
            scheduled_event(target.schedule, self._context),
            trigger="schedule",
            summary={"schedule": target.key, "expression": target.schedule.expression},
        )

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for target in self.targets:
            if not target.schedule.enabled or target.schedule.rate_seconds is None:
                logger.info("%s (%s) fires on demand only", target.key, target.schedule.expression)
                continue
            thread = threading.Thread(target=self._run, args=(target,), name=f"schedule-{target.key}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def _run(self, target: ScheduledTarget) -> None:
        interval = target.schedule.rate_seconds
        # Like EventBridge, the first firing comes one period after the schedule starts.
        while not self._stop.wait(interval):
            try:
                self.fire(target)
            except Exception:
                logger.exception("scheduled invocation %s failed", target.key)
