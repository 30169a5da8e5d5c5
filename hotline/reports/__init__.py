"""The monthly report: its data (:mod:`~hotline.reports.document`) and its formats (XLSX, PDF)."""
