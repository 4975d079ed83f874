"""What leaves the ledger: the report's rows and figures, the workbook, the analysis, letters and the
archive for an inspector."""
