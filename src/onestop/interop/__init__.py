"""Views of the catalogue in other systems' formats; each returns plain JSON-ready data.

* `onestop.interop.open311`: the Open311 GeoReport v2 service list and definitions.
* `onestop.interop.open311_forms`: a GeoReport ``POST requests.json`` form, read into
  what a mall submits.
* `onestop.interop.open311_requests`: applications as GeoReport service requests, and
  GeoReport's error bodies.
* `onestop.interop.cpsv`: a CPSV-AP 3.2.0 JSON-LD document for EU-style catalogues.

These modules read the domain and the standard library only: no I/O, no clock.  Each
export also comes as an iterator of JSON text (``iter_...``), for large catalogues, and
each writes a value exactly or refuses the catalogue (`InvalidCatalogue`): no
``javascript:`` link, no line break in an e-mail address.
"""
