"""The course's exercises, graded: each an ordered chain of protocol checks (engine), spoken over real sockets
(wire), with one hint per usual mistake (hints), written as terminal text, check50 JSON, JUnit XML or Gradescope
results (report); `stacklab-check exercise NAME` (cli)."""
