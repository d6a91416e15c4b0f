"""The media plan (media/plan.ts): validation, defaults, references and argv tokens.

plan.schema.json is generated from the zod schema (scripts/gen-plan-schema.ts), so both
executors accept the same plans. The checks the schema cannot express (unique ids, known
references, no dependency cycles, http(s) URLs) are done here, before anything runs.
"""

import base64
import copy
import functools
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from .errors import JobError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "plan.schema.json"
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DOT_NAMES = (".", "..")
# The only things interpreted inside argv items (see media/plan.ts).
PATH_TOKEN = re.compile(r"\{(in|out|tmp|file):([^{}]*)\}")
VENC_TOKEN = "{venc}"
FALLBACK_ENCODER = "libx264"
EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


class PlanError(JobError):
    pass


@functools.cache
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def _where(path) -> str:
    text = "plan"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _with_defaults(instance, schema: dict):
    """Fills in the schema's defaults (zod's .default()), as zod's parse does."""
    if isinstance(instance, dict) and "properties" in schema:
        for key, sub in schema["properties"].items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                _with_defaults(instance[key], sub)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            _with_defaults(item, schema["items"])
    return instance


def validate_plan(raw) -> dict:
    """Returns the plan with defaults applied, or raises PlanError naming the bad field."""
    errors = list(Draft202012Validator(_schema()).iter_errors(raw))
    if errors:
        first = best_match(errors)
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise PlanError(f"invalid plan: {_where(first.absolute_path)}: {first.message}{more}")
    plan = _with_defaults(copy.deepcopy(raw), _schema())
    _check_unique(plan)
    _check_urls(plan)
    _check_dependencies(plan)
    for index, step in enumerate(plan["steps"]):
        _check_tokens(plan, index, step)
    _check_outputs_written(plan)
    return plan


def _check_unique(plan: dict) -> None:
    for field, key in (("inputs", "id"), ("steps", "id"), ("outputs", "id"), ("files", "name")):
        seen: set[str] = set()
        for index, item in enumerate(plan[field]):
            if item[key] in DOT_NAMES:  # they would name the folder itself or its parent
                raise PlanError(f"invalid plan: plan.{field}[{index}].{key}: "
                                f"{item[key]!r} is not a valid name")
            if item[key] in seen:
                raise PlanError(f"invalid plan: plan.{field}[{index}].{key}: "
                                f"{item[key]!r} is used twice")
            seen.add(item[key])


def _check_http_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PlanError(f"invalid plan: {where}: must be an http(s) URL")


def _check_urls(plan: dict) -> None:
    for index, item in enumerate(plan["inputs"]):
        _check_http_url(item["url"], f"plan.inputs[{index}].url")
    for index, output in enumerate(plan["outputs"]):
        if "upload" not in output:
            raise PlanError(f"invalid plan: plan.outputs[{index}].upload: "
                            "is required by the GPU worker (it has nowhere else to put the file)")
        _check_http_url(output["upload"]["url"], f"plan.outputs[{index}].upload.url")


def _check_dependencies(plan: dict) -> None:
    step_ids = [step["id"] for step in plan["steps"]]
    for index, step in enumerate(plan["steps"]):
        for dep in step["dependsOn"]:
            if dep not in step_ids:
                raise PlanError(f"invalid plan: plan.steps[{index}].dependsOn: "
                                f"unknown step {dep!r}")
            if dep == step["id"]:
                raise PlanError(f"invalid plan: plan.steps[{index}].dependsOn: "
                                f"step {dep!r} depends on itself")
    deps = {step["id"]: step["dependsOn"] for step in plan["steps"]}
    state: dict[str, str] = {}  # "visiting" / "done"

    def visit(step_id: str, trail: list[str]) -> None:
        if state.get(step_id) == "done":
            return
        if state.get(step_id) == "visiting":
            cycle = trail[trail.index(step_id):] + [step_id]
            raise PlanError("invalid plan: plan.steps: dependency cycle " + " -> ".join(cycle))
        state[step_id] = "visiting"
        for dep in deps[step_id]:
            visit(dep, trail + [step_id])
        state[step_id] = "done"

    for step_id in step_ids:
        visit(step_id, [])


def _check_tokens(plan: dict, index: int, step: dict) -> None:
    known = {
        "in": {item["id"] for item in plan["inputs"]},
        "out": {item["id"] for item in plan["outputs"]},
        "file": {item["name"] for item in plan["files"]},
    }
    for position, item in enumerate(step["argv"]):
        where = f"plan.steps[{index}].argv[{position}]"
        if VENC_TOKEN in item and item != VENC_TOKEN:
            raise PlanError(f"invalid plan: {where}: {VENC_TOKEN} must be a whole argv item")
        if item == VENC_TOKEN and not plan["encoders"]:
            raise PlanError(f"invalid plan: {where}: {VENC_TOKEN} is used but plan.encoders is empty")
        for match in PATH_TOKEN.finditer(item):
            kind, name = match.groups()
            if not NAME.match(name) or name in DOT_NAMES:
                raise PlanError(f"invalid plan: {where}: bad name in {match.group(0)}")
            if kind in known and name not in known[kind]:
                field = {"in": "inputs", "out": "outputs", "file": "files"}[kind]
                raise PlanError(f"invalid plan: {where}: {match.group(0)} "
                                f"names no entry of plan.{field}")


def output_writers(plan: dict) -> dict[str, set[str]]:
    """output id -> the steps whose argv writes it ({out:ID})."""
    writers: dict[str, set[str]] = {output["id"]: set() for output in plan["outputs"]}
    for step in plan["steps"]:
        for item in step["argv"]:
            for match in PATH_TOKEN.finditer(item):
                if match.group(1) == "out" and match.group(2) in writers:
                    writers[match.group(2)].add(step["id"])
    return writers


def _check_outputs_written(plan: dict) -> None:
    for index, (output_id, writers) in enumerate(output_writers(plan).items()):
        if not writers:
            raise PlanError(f"invalid plan: plan.outputs[{index}]: no step writes {{out:{output_id}}}")


def safe_extension(path: str) -> str:
    """The file extension of path when it is a plain one (".mp4"), else ""."""
    suffix = Path(path).suffix
    return suffix if EXTENSION.match(suffix) else ""


@dataclass(frozen=True)
class Layout:
    """Where a job's files live. Names are plan ids (letters, digits, _ . -) under a
    mkdtemp dir, so paths need no quoting inside ffmpeg filter arguments either."""

    root: Path

    def input_path(self, item: dict) -> Path:
        # keep the URL's extension: some demuxers (image2, concat) go by it
        return self.root / "in" / (item["id"] + safe_extension(urlsplit(item["url"]).path))

    def output_path(self, output: dict) -> Path:
        # ffmpeg picks the output format from the extension: take the key's
        return self.root / "out" / (output["id"] + safe_extension(output["key"]))

    def tmp_path(self, name: str) -> Path:
        return self.root / "tmp" / name

    def file_path(self, name: str) -> Path:
        return self.root / "files" / name

    def make_dirs(self) -> None:
        for sub in ("in", "out", "tmp", "files"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)


def encoder_key(plan: dict, detected: str) -> str:
    """The plan.encoders entry {venc} expands to: the detected encoder's, else libx264's."""
    return detected if detected in plan["encoders"] else FALLBACK_ENCODER


def expand_argv(plan: dict, step: dict, layout: Layout, detected_encoder: str,
                encoder_threads: int | None = None) -> list[str]:
    """Expands a validated step's argv tokens into paths and encoder arguments.

    encoder_threads: -threads for a libx264 {venc} (see executor.encoder_threads).
    """
    inputs = {item["id"]: item for item in plan["inputs"]}
    outputs = {item["id"]: item for item in plan["outputs"]}
    resolve = {
        "in": lambda name: layout.input_path(inputs[name]),
        "out": lambda name: layout.output_path(outputs[name]),
        "tmp": layout.tmp_path,
        "file": layout.file_path,
    }
    expanded: list[str] = []
    for item in step["argv"]:
        if item == VENC_TOKEN:
            key = encoder_key(plan, detected_encoder)
            if key not in plan["encoders"]:
                wanted = " or ".join(dict.fromkeys([detected_encoder, FALLBACK_ENCODER]))
                raise PlanError(f'invalid plan: step "{step["id"]}" uses {VENC_TOKEN} but '
                                f"plan.encoders has no entry for {wanted}")
            expanded.extend(plan["encoders"][key])
            if key == FALLBACK_ENCODER and encoder_threads is not None:
                expanded.extend(["-threads", str(encoder_threads)])
        else:
            expanded.append(PATH_TOKEN.sub(lambda m: str(resolve[m.group(1)](m.group(2))), item))
    return expanded


def file_bytes(item: dict) -> bytes:
    """A plan file's bytes: its text, or the gunzipped base64 of a gzip-base64 one."""
    if item.get("encoding") == "gzip-base64":
        try:
            return gzip.decompress(base64.b64decode(item["content"], validate=True))
        except (ValueError, OSError) as err:
            raise PlanError(f'invalid plan: file "{item["name"]}" is not valid gzip-base64 ({err})') from None
    return item["content"].encode("utf-8")


def step_input_ids(step: dict) -> list[str]:
    """The inputs a step reads, for naming them when the step fails."""
    ids: list[str] = []
    for item in step["argv"]:
        for match in PATH_TOKEN.finditer(item):
            if match.group(1) == "in" and match.group(2) not in ids:
                ids.append(match.group(2))
    return ids
