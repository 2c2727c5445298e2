"""JUnit XML of a regression check: one test case per scenario x run x KPI (and per
hard limit), so CI systems show each KPI as a test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from simcc.experiment.regression import CheckResult


def junit_xml(results: list[CheckResult]) -> str:
    """A ``<testsuites>`` document with one ``<testsuite>`` per scenario."""
    suites = ET.Element("testsuites", name="simcc check")
    for result in results:
        cases = []
        for row in result.rows.itertuples():
            case = ET.Element("testcase", classname=f"{result.scenario}.{row.run}",
                              name=row.kpi)
            if row.verdict == "regressed":
                failure = ET.SubElement(case, "failure", message=f"{row.kpi} regressed",
                                        type="regression")
                failure.text = (f"baseline {row.baseline:.6g}, now {row.now:.6g}, delta "
                                f"{row.delta:+.6g} (simultaneous 95% CI {row.ci_low:+.6g} to "
                                f"{row.ci_high:+.6g}), tolerance {row.tolerance}")
            elif row.verdict in ("ignored", "info"):
                ET.SubElement(case, "skipped", message=row.verdict)
            else:
                ET.SubElement(case, "system-out").text = (
                    f"{row.verdict}: baseline {row.baseline:.6g}, now {row.now:.6g}")
            cases.append(case)
        for row in (result.limits.itertuples() if not result.limits.empty else []):
            case = ET.Element("testcase", classname=f"{result.scenario}.{row.run}",
                              name=f"limit {row.limit}")
            if not row.passed:
                ET.SubElement(case, "failure", message=f"limit {row.limit} violated",
                              type="limit").text = f"value {row.value:.6g}"
            cases.append(case)
        failures = sum(1 for c in cases if c.find("failure") is not None)
        skipped = sum(1 for c in cases if c.find("skipped") is not None)
        suite = ET.SubElement(suites, "testsuite", name=result.scenario, tests=str(len(cases)),
                              failures=str(failures), skipped=str(skipped), errors="0")
        suite.extend(cases)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
