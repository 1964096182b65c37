"""Prefect flows: thin orchestration over the library (pipeline/, warehouse/). Only place importing prefect."""
