"""`triage demo`: a populated inbox on an empty database.

Setup (teams, users, roles, applicants at realistic stages) is written directly; the traffic —
4–6 weeks of candidate mail — goes through the real HTTP intake, like any integrator's would.
"""
