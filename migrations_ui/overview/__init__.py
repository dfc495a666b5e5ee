"""What is happening now: every migration in flight, each type's last run and the failures
waiting, on one page (issue 29) for the types the user may see.
"""
