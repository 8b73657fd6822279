"""The splice: put a freshly rendered sheet into a user's workbook without touching
anything else. Private to `kpi_reports.excel`; its one door is `splice_sheet`.

openpyxl cannot carry sparklines, x14 data bars, slicers, shapes, form controls or cached
formula values through a load/save, so the workbook is never round-tripped. The splice
keeps these invariants (tests/test_excel_package.py checks each on real workbooks):

- Only the sheet's own parts change, with the lists that must name it:
  `[Content_Types].xml`, the workbook part and its relationships, `docProps/app.xml` and
  `calcChain.xml` (the old sheet's cells leave it).
- Those lists are edited as text, never parsed and re-serialised (opc.py says why).
- styles.xml is only appended to: existing indices keep their meaning; an equal entry is
  reused, so refreshing again with the same sheet gives the same bytes.
- Every other part keeps its bytes, zip order, compression and timestamp; the target's
  sharedStrings.xml is untouched (the sheet's strings become inline strings).
- A replaced sheet keeps its place, sheetId, VBA code name and tab selection; a sheet
  holding a table, pivot table or slicer is refused, not deleted.
- Parts it does not change are copied still compressed, never unzipped; the parts it
  reads are bounded in size and checked to be well-formed XML before anything is edited.
- The file is replaced atomically under a lock, keeping owner, group and mode, with the
  workbook as the user last had it kept as a backup; a workbook open in Excel or
  LibreOffice is refused (workbook_file.py; README "The file on disk").

transplant.py does the splice in memory; workbook_file.py reads and writes the user's
file; opc.py (zip parts and relationships), book_lists.py (workbook.xml, app.xml,
calcChain), styles_merge.py and sheet_xml.py edit the parts.
"""

from .workbook_file import SpliceResult, backup_path, splice_sheet

__all__ = ["SpliceResult", "backup_path", "splice_sheet"]
