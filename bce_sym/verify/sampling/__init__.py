"""Sampling: the danger zones per dtype (``zones``) and the points a check draws from them (``points``)."""
