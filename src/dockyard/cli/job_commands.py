"""Commands for scheduled job invocations (doctl's verbs and flags)."""

from __future__ import annotations

import click

from dockyard.cli.groups import app_argument, apps, table_options

job_name_option = click.option("--job-name", default=None, help="Only this job's invocations.")


@apps.command("list-job-invocations")
@app_argument
@click.option("--deployment", default=None, help="Only invocations run in this deployment.")
@job_name_option
@table_options
def list_job_invocations(app_ref: str, deployment: str | None, job_name: str | None,
                         output: str, fmt: str | None, no_header: bool) -> None:
    """List a scheduled job's invocations, newest first (phase, start, end)."""
    from dockyard.cli import jobs

    jobs.list_(app_ref, deployment=deployment, job_name=job_name, output=output, fmt=fmt,
               no_header=no_header)


@apps.command("get-job-invocation")
@app_argument
@click.argument("invocation_id")
@job_name_option
@table_options
def get_job_invocation(app_ref: str, invocation_id: str, job_name: str | None, output: str,
                       fmt: str | None, no_header: bool) -> None:
    """Show one job invocation."""
    from dockyard.cli import jobs

    jobs.get(app_ref, invocation_id, job_name=job_name, output=output, fmt=fmt,
             no_header=no_header)


@apps.command("cancel-job-invocation")
@app_argument
@click.argument("invocation_id")
@job_name_option
@table_options
def cancel_job_invocation(app_ref: str, invocation_id: str, job_name: str | None,
                          output: str, fmt: str | None, no_header: bool) -> None:
    """Stop a pending or running job invocation (an ended one is an error)."""
    from dockyard.cli import jobs

    jobs.cancel(app_ref, invocation_id, job_name=job_name, output=output, fmt=fmt,
                no_header=no_header)

