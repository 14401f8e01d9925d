"""`netvet compare`: the same evidence under two or more policies, side by side."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from .common import (
    console,
    console_err,
    input_exit_code,
    load_id_registries,
    progress_reader,
    usage_error,
    use_asn_db,
    write_output,
)


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        inputs: list[Path] = typer.Argument(..., help="Evidence files (any format netvet reads)."),
        policy: list[str] = typer.Option(..., "--policy", "-p", help="Two or more pack ids or files."),
        fmt: str = typer.Option("table", "--format", "-f", help="table, json or html."),
        output: Path | None = typer.Option(None, "--output", "-o"),
        input_format: str | None = typer.Option(None, "--input-format"),
        on: str | None = typer.Option(None, "--on"),
        kev: Path | None = typer.Option(None, "--kev", help="CISA KEV catalogue (JSON or CSV) for security records."),
        asn_db: Path | None = typer.Option(None, "--asn-db", help="RIB, IPASN or pfx2as file for IP -> ASN "
                                           "(traceroute and flow evidence; default: the active dataset)."),
        waivers: Path | None = typer.Option(None, "--waivers"),
        weight: str | None = typer.Option(None, "--weight", help="Observation attribute to sum (e.g. address "
                                          "space or bytes) in the summary."),
        limit: int = typer.Option(30, "--limit", help="Differences shown in the table."),
    ) -> None:
        """Compare what each policy excludes on the same evidence, and why."""
        from ..analyses.compare import compare, headline
        from ..attribution.registry import Registry
        from ..pipeline import Context, run_audit
        from .audit import parse_date

        if len(policy) < 2:
            raise usage_error("compare needs at least two --policy options")
        if fmt not in ("table", "json", "html"):
            raise usage_error(f"unknown format {fmt!r} (table, json, html)")
        use_asn_db(asn_db)
        registry = Registry.load()
        macs, pens, used = load_id_registries(None, None)
        ctx = Context.build(policy, registry, parse_date(on), macs=macs, pens=pens, kev=kev, waivers=waivers)
        ctx.datasets = used + ctx.datasets
        prog, cb = progress_reader()
        with prog:
            report = run_audit(inputs, ctx, input_format, progress=cb)
        code = input_exit_code(report, strict=False)
        cmp = compare(report, weight)
        cmp["headline"] = headline(cmp)
        if fmt == "json":
            write_output(json.dumps(cmp, indent=2, default=str) + "\n", output)
            raise typer.Exit(code)
        if fmt == "html":
            from ..reporters.html import render_compare_html

            write_output(render_compare_html(report, cmp), output)
            raise typer.Exit(code)
        for line in cmp["headline"]:
            console.print("• " + line, highlight=False)
        t = Table(title="Per policy", title_justify="left")
        for col in ("policy", "approach", "FAIL", "REVIEW", "UNKNOWN", "PASS", "excluded sites", "excluded vendors"):
            t.add_column(col, overflow="fold")
        for pol, p in cmp["per_policy"].items():
            v = p["verdicts"]
            t.add_row(pol, p["approach"] + (" (vendor-neutral)" if p["vendor_neutral"] else ""), str(v["FAIL"]),
                      str(v["REVIEW"]), str(v["UNKNOWN"]), str(v["PASS"]), str(p["excluded_sites"]),
                      ", ".join(p["excluded_vendors"]))
        console.print(t)
        d = Table(title=f"Assets on which the policies disagree ({len(cmp['differences'])})", title_justify="left")
        d.add_column("asset")
        d.add_column("entity")
        for pol in cmp["policies"]:
            d.add_column(pol)
        for row in cmp["differences"][:limit]:
            ent = (row["entity"] or {}).get("name") or "-"
            d.add_row(row["label"], ent, *[row["verdicts"].get(p, "-") + (
                f"\n{', '.join(row['why'][p]['rules'])}" if p in row["why"] and row["why"][p]["rules"] else "")
                for p in cmp["policies"]])
        console.print(d)
        if output is not None:
            console_err.print("--output with --format table is ignored; use json or html")
        raise typer.Exit(code)
