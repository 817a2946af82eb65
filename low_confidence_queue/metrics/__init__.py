"""Review-rate metrics of the admin dashboard: daily rollups computed from the raw rows
(``compute``), the series pages and the API read from them (``series``), URL filters
(``filters``) and the statistics they share (``stats``)."""
