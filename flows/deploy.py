"""`clsdata deploy`: prefect.yaml's deployments registered with Prefect's Python client (ADR 0013).

Prefect 3.8.8's `prefect deploy` registers the deployment, then asks its server for the pool's online workers
with `limit: null`, which the same version's server refuses (422): the command prints a traceback and exits 1
although the deployment exists. This does what `prefect deploy --all` does for this repository's prefect.yaml,
through the client calls that work, and also creates the work pool when it is missing:

- each deployment of prefect.yaml: its entrypoint's flow, name, description, parameters, cron schedules and
  work pool;
- the working directory of every run is the folder holding prefect.yaml (Prefect's own default when a
  prefect.yaml has no `pull:` section): the worker finds the code and relative paths there.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml


class DeployError(ValueError):
    """prefect.yaml cannot be deployed: one line naming the file, the key and the reason."""


def _deployments(prefect_yaml: Path) -> list[dict[str, Any]]:
    try:
        config = yaml.safe_load(prefect_yaml.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise DeployError(f"{prefect_yaml}: cannot read it ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise DeployError(f"{prefect_yaml}: not valid YAML ({' '.join(str(exc).split())[:200]})") from exc
    deployments = config.get("deployments") if isinstance(config, dict) else None
    if not isinstance(deployments, list) or not deployments:
        raise DeployError(f"{prefect_yaml}: deployments: expected a list of deployments")
    for i, d in enumerate(deployments):
        for key in ("name", "entrypoint"):
            if not isinstance(d, dict) or not isinstance(d.get(key), str):
                raise DeployError(f"{prefect_yaml}: deployments.{i}.{key}: required")
        if not isinstance((d.get("work_pool") or {}).get("name"), str):
            raise DeployError(f"{prefect_yaml}: deployments.{i}.work_pool.name: required")
        if d.get("pull"):
            raise DeployError(f"{prefect_yaml}: deployments.{i}.pull: not supported here (the working directory "
                              f"is the folder of prefect.yaml)")
    return deployments


async def _deploy(prefect_yaml: Path) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleCreate, WorkPoolCreate
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.exceptions import ObjectNotFound
    from prefect.flows import load_flow_from_entrypoint
    from prefect.utilities.callables import parameter_schema

    root = prefect_yaml.resolve().parent
    done = []
    async with get_client() as client:
        for d in _deployments(prefect_yaml):
            pool = d["work_pool"]["name"]
            try:
                await client.read_work_pool(pool)
            except ObjectNotFound:
                await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            flow: Any = load_flow_from_entrypoint(str(root / d["entrypoint"]))
            flow_id = await client.create_flow_from_name(flow.name)
            schedules = [DeploymentScheduleCreate(schedule=CronSchedule(cron=s["cron"], timezone=s.get("timezone")),
                                                  active=True) for s in d.get("schedules") or []]
            await client.create_deployment(
                flow_id=flow_id, name=d["name"], entrypoint=d["entrypoint"], path=str(root),
                work_pool_name=pool, parameters=d.get("parameters") or {}, description=d.get("description"),
                schedules=schedules,
                parameter_openapi_schema=parameter_schema(flow).model_dump(exclude_unset=True),
                pull_steps=[{"prefect.deployments.steps.set_working_directory": {"directory": str(root)}}],
            )
            done.append(f"{flow.name}/{d['name']}")
    return done


def deploy(prefect_yaml: Path) -> list[str]:
    """Register every deployment of `prefect_yaml` (and its work pool); returns 'flow/deployment' names."""
    return asyncio.run(_deploy(prefect_yaml))
