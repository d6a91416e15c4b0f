"""Plan validation against plan.schema.json plus the reference checks the schema can't do."""

import copy
import json
import subprocess

import pytest

from autodark_gpu.plan import SCHEMA_PATH, PlanError, validate_plan
from conftest import REPO_DIR, call_handler


def minimal_plan() -> dict:
    return {
        "version": 1,
        "operation": "test",
        "inputs": [{"id": "img", "url": "http://127.0.0.1:9/a.png", "kind": "image",
                    "label": "images[0].image_url"}],
        "steps": [{"id": "render", "argv": ["-i", "{in:img}", "{out:video}"]}],
        "outputs": [{"id": "video", "key": "jobs/1/video.mp4", "contentType": "video/mp4",
                     "upload": {"url": "http://127.0.0.1:9/put/video.mp4"}}],
    }


def with_change(change) -> dict:
    plan = minimal_plan()
    change(plan)
    return plan


@pytest.mark.skipif(not (REPO_DIR / "node_modules" / ".bin" / "tsx").exists(),
                    reason="needs the repo's node_modules (npm ci) to run the zod schema")
def test_schema_file_is_generated_from_plan_ts():
    check = subprocess.run(
        [str(REPO_DIR / "node_modules" / ".bin" / "tsx"), "scripts/gen-plan-schema.ts", "--check"],
        cwd=REPO_DIR, capture_output=True, text=True, check=False,
    )
    assert check.returncode == 0, check.stderr
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"].endswith("2020-12/schema")


def test_valid_plan_gets_the_zod_defaults():
    raw = minimal_plan()
    plan = validate_plan(raw)
    assert plan["files"] == []
    assert plan["encoders"] == {}
    assert plan["maxParallelSteps"] == 1
    assert plan["steps"][0]["dependsOn"] == []
    assert plan["outputs"][0]["upload"]["headers"] == {}
    assert raw == minimal_plan(), "the caller's plan is not modified"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("steps"), "plan: 'steps' is a required property"),
        (lambda p: p.update(version=2), "plan.version: 1 was expected"),
        (lambda p: p["steps"][0].update(id="has space"), "plan.steps[0].id: 'has space' does not match"),
        (lambda p: p["steps"][0].update(argv=[]), "plan.steps[0].argv: [] should be non-empty"),
        (lambda p: p["inputs"][0].update(kind="pdf"), "plan.inputs[0].kind: 'pdf' is not one of"),
        (lambda p: p.update(maxParallelSteps=0), "plan.maxParallelSteps: 0 is less than the minimum of 1"),
        (lambda p: p["outputs"][0]["upload"].update(headers={"x": 1}),
         "plan.outputs[0].upload.headers.x: 1 is not of type 'string'"),
    ],
)
def test_schema_violations_name_the_field(change, message):
    with pytest.raises(PlanError) as failure:
        validate_plan(with_change(change))
    assert message in str(failure.value)


def _add_step(plan, **step):
    plan["steps"].append({"argv": ["-version"], **step})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: _add_step(p, id="render"), "plan.steps[1].id: 'render' is used twice"),
        (lambda p: _add_step(p, id="late", dependsOn=["nope"]),
         "plan.steps[1].dependsOn: unknown step 'nope'"),
        (lambda p: (_add_step(p, id="a", dependsOn=["b"]), _add_step(p, id="b", dependsOn=["a"])),
         "dependency cycle a -> b -> a"),
        (lambda p: p["steps"][0]["argv"].append("{in:missing}"),
         "plan.steps[0].argv[3]: {in:missing} names no entry of plan.inputs"),
        (lambda p: p["steps"][0]["argv"].append("subtitles={file:subs.ass}"),
         "{file:subs.ass} names no entry of plan.files"),
        (lambda p: p["steps"][0]["argv"].append("{tmp:../escape}"), "bad name in {tmp:../escape}"),
        (lambda p: p["steps"][0]["argv"].append("{tmp:..}"), "bad name in {tmp:..}"),
        (lambda p: p["inputs"][0].update(id=".."), "plan.inputs[0].id: '..' is not a valid name"),
        (lambda p: p["steps"][0]["argv"].insert(0, "-c:v {venc}"), "{venc} must be a whole argv item"),
        (lambda p: p["steps"][0]["argv"].insert(0, "{venc}"), "{venc} is used but plan.encoders is empty"),
        (lambda p: p["outputs"][0].pop("upload"), "plan.outputs[0].upload: is required by the GPU worker"),
        (lambda p: p["inputs"][0].update(url="file:///etc/passwd"),
         "plan.inputs[0].url: must be an http(s) URL"),
        (lambda p: p["outputs"].append({**copy.deepcopy(p["outputs"][0]), "id": "extra"}),
         "plan.outputs[1]: no step writes {out:extra}"),
    ],
)
def test_reference_errors_name_the_field(change, message):
    with pytest.raises(PlanError) as failure:
        validate_plan(with_change(change))
    assert message in str(failure.value)


def test_handler_rejects_a_bad_plan_with_a_clear_error(work_root):
    result = call_handler({"kind": "plan", "plan": with_change(lambda p: p.pop("outputs"))})
    assert result == {"error": "invalid plan: plan: 'outputs' is a required property"}
    assert list(work_root.iterdir()) == []


@pytest.mark.parametrize(
    ("job_input", "message"),
    [
        ("not an object", "input: must be an object"),
        ({"kind": "render"}, 'input.kind: must be "plan" or "transcribe"'),
        ({"kind": "plan"}, "input.plan: is required"),
        ({"kind": "plan", "plan": []}, "invalid plan: plan: [] is not of type 'object'"),
    ],
)
def test_handler_rejects_unknown_input(job_input, message):
    assert call_handler(job_input) == {"error": message}
