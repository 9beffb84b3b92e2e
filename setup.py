"""Packaging for ckanext-tjregistry.

The dataset schemas (``schemas/``) and translations (``i18n/``) live at the top of
the repository but are shipped inside the package as ``ckanext.tjregistry.schemas``
and ``ckanext.tjregistry.i18n``, so they load the same way from a wheel and from an
editable install. Message catalogues are compiled to ``.mo`` during the build.
"""
from __future__ import annotations

import importlib.util
import pathlib

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildWithCatalogues(build_py):
    """Compile every locale's catalogue to ``.mo`` before packaging, with the corrections
    of CKAN's strings (``ckan-overrides.po``) merged in, exactly as the plugin does in a
    source checkout (``i18n.compile_catalogues``)."""

    def run(self) -> None:
        # i18n/ is loaded from its file: the package is not importable before it is built.
        spec = importlib.util.spec_from_file_location("tjregistry_i18n",
                                                      HERE / "i18n" / "__init__.py")
        catalogues = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(catalogues)
        catalogues.compile_catalogues(HERE / "i18n", only_stale=False)
        super().run()


packages = find_namespace_packages(include=["ckanext.tjregistry", "ckanext.tjregistry.*"])
packages += ["ckanext.tjregistry.schemas", "ckanext.tjregistry.i18n"]

setup(
    name="ckanext-tjregistry",
    version="0.1.0",
    description="Tianjin public data resource registration platform (天津市公共数据资源登记平台) for CKAN",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    packages=packages,
    package_dir={
        "ckanext.tjregistry.schemas": "schemas",
        "ckanext.tjregistry.i18n": "i18n",
    },
    include_package_data=False,
    package_data={
        "ckanext.tjregistry": [
            "config_declaration.yaml",
            "templates/**/*.html",
            "templates/**/*.xml",
            "assets/**/*",
            "public/**/*",
            "migration/tjregistry/alembic.ini",
            "migration/tjregistry/script.py.mako",
            "data/*",
        ],
        "ckanext.tjregistry.schemas": ["*.yaml", "*.json"],
        "ckanext.tjregistry.i18n": ["*.pot", "*/LC_MESSAGES/*.po", "*/LC_MESSAGES/*.mo"],
    },
    cmdclass={"build_py": BuildWithCatalogues},
    install_requires=[
        "ckanext-scheming==3.1.0",
        "ckanext-dcat==2.4.4",
        "pysolr>=3.9",
        "psycopg2>=2.9",
        "chinese-calendar>=1.11",
        "tongsuopy==1.0.1",
        "fpdf2>=2.8.9,<3",
        "segno>=1.6,<2",
        "pypdf>=7.1,<8",
        "openpyxl>=3.1,<4",
    ],
    entry_points={
        "ckan.plugins": [
            "tjregistry = ckanext.tjregistry.plugin:TjRegistryPlugin",
        ],
        "ckan.rdf.profiles": [
            "tjregistry = ckanext.tjregistry.dcat.profile:TjRegistryProfile",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
    message_extractors={
        "ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
