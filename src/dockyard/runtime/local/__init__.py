"""Processes on this machine under supervisord: the control plane, the router, every instance."""
