"""The 113 binary probing datasets of Kantamneni et al. (2025) and their 8 OOD test sets, as data.

Specs live in ``specs/`` (one YAML file per dataset, validated by :mod:`datasets_registry.spec`);
rows are loaded through Hugging Face ``datasets`` by :mod:`datasets_registry.load`.
"""
