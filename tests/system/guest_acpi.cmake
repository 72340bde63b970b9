# System tests: see the helper brief (session 3).
