"""Ansible callback for bench/ansible: at the end of a run, the slowest tasks (wall time summed over hosts).

Enabled only by the benchmark (ANSIBLE_CALLBACK_PLUGINS=bench/ansible_plugins ANSIBLE_CALLBACKS_ENABLED=task_times),
so the playbooks' normal output is unchanged. STACKLAB_TASK_TIMES_TOP sets how many tasks are listed (default 15).
"""

import os
import time
from collections import defaultdict

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: the slowest tasks of a run
description: Prints the tasks that took the most wall time at the end of the run.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.totals = defaultdict(float)
        self.current = None
        self.started = 0.0

    def _close(self):
        if self.current is not None:
            self.totals[self.current] += time.monotonic() - self.started
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = task.get_name()
        self.started = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        self._close()
        top = int(os.environ.get("STACKLAB_TASK_TIMES_TOP", "15"))
        self._display.display(f"slowest tasks (total {sum(self.totals.values()):.1f} s):")
        for name, seconds in sorted(self.totals.items(), key=lambda kv: -kv[1])[:top]:
            self._display.display(f"  {seconds:7.1f} s  {name}")
