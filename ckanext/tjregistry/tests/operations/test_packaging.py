"""Schemas and translations load from a built wheel, not only from the source tree."""
from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]

CHECK_INSTALLED = textwrap.dedent(
    """
    import gettext, json, os, sys
    # Only after the clean venv's own site-packages: CKAN, scheming and PyYAML.
    sys.path.append(sys.argv[1])
    import ckanext.tjregistry.schemas as schemas
    import ckanext.tjregistry.i18n as i18n
    from babel.messages.pofile import read_po
    from ckanext.scheming.plugins import _load_schema_module_path

    result = {"schemas_dir": os.path.dirname(schemas.__file__), "schemas": {}, "i18n": {}}
    for name in sorted(os.listdir(result["schemas_dir"])):
        if name.endswith(".yaml"):
            loaded = _load_schema_module_path("ckanext.tjregistry.schemas:" + name)
            result["schemas"][name] = loaded.get("dataset_type") or loaded.get("organization_type")
    i18n_dir = os.path.dirname(i18n.__file__)
    result["i18n_dir"] = i18n_dir
    for locale in sorted(os.listdir(i18n_dir)):
        po_path = os.path.join(i18n_dir, locale, "LC_MESSAGES", "ckanext-tjregistry.po")
        if not os.path.exists(po_path):
            continue
        with open(po_path, "rb") as f:
            catalog = read_po(f)
        sample = next(m for m in catalog if m.id and m.string and isinstance(m.id, str))
        translation = gettext.translation("ckanext-tjregistry", i18n_dir, languages=[locale])
        result["i18n"][locale] = [sample.id, sample.string, translation.gettext(sample.id)]
    # CKAN's own strings corrected by ckan-overrides.po, merged in by the build.
    chinese = gettext.translation("ckanext-tjregistry", i18n_dir, languages=["zh_Hans_CN"])
    result["ckan_corrected"] = [chinese.gettext("Log in"), chinese.gettext("Followers")]
    print(json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    # Build from the committed tree so that stray local files cannot mask a packaging gap.
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        if not (REPO / name).exists():
            continue
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / name).read_bytes())
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"),
         str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = (work / "dist").glob("ckanext_tjregistry-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-deps", "--no-index", "-q", str(wheel)],
        check=True, capture_output=True,
    )
    return venv


def test_schemas_and_translations_load_from_the_wheel(installed_wheel: Path):
    out = subprocess.run(
        [str(installed_wheel / "bin" / "python"), "-c", CHECK_INSTALLED,
         sysconfig.get_paths()["purelib"]],
        check=True, capture_output=True, text=True, cwd="/",
    ).stdout
    result = json.loads(out)
    assert result["schemas_dir"].startswith(str(installed_wheel))
    assert result["i18n_dir"].startswith(str(installed_wheel))
    assert result["schemas"]["data_resource.yaml"] == "data-resource"
    assert result["schemas"]["data_product.yaml"] == "data-product"
    assert result["schemas"]["organization.yaml"] == "organization"
    msgid, msgstr, translated = result["i18n"]["zh_Hans_CN"]
    assert translated == msgstr != msgid
    assert result["ckan_corrected"] == ["登录", "关注者"]
