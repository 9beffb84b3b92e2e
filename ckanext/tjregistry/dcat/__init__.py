"""National interoperability: the DCAT-AP catalogue and the JSON export of registration results.

* ``terms``: the RDF vocabulary of the registration catalogue (namespaces, concept
  URIs, the EU frequency and access-right mappings);
* ``profile``: the ckanext-dcat profile ``tjregistry``, chained after
  ``euro_dcat_ap_3``, that maps registration metadata to RDF and back;
* ``publication``: which registrations and which fields may be published;
* ``logic``: the filtered ckanext-dcat actions and the export actions;
* ``export``: the streaming, cached full-catalogue export and the JSON records.
"""
