"""serve's warm-up: the first student's feedback page compiles nothing."""
from __future__ import annotations

import jinja2

from dlgrader.serve.steps import NbgraderSteps


def test_the_feedback_warm_up_renders_a_page_and_compiles_every_template(course):
    """A real page after the warm-up compiles no template: the first student does not pay for it."""
    steps = NbgraderSteps(course)
    assert steps.warm()
    compiled = []
    original = jinja2.Environment.compile

    def counting(self, *args, **kwargs):
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return original(self, *args, **kwargs)

    jinja2.Environment.compile = counting
    try:
        steps.render_sample()
    finally:
        jinja2.Environment.compile = original
    assert compiled == []
