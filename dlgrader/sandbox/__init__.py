"""The trust boundary: everything that builds the sandbox or runs inside it, and the wire to it.

`isolation` (namespaces, limits, identity) and `filesystem` (the allowlisted view of the host) build
a sandbox; `zygote` forks one per submission; `inside` is what runs in it; `codec` is the only format
that crosses; `session` is the grader's end of the wire. Nothing here decides a grade: the grading
orchestration that uses this package lives in `dlgrader.execution`.
"""
