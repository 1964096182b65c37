"""clsdata extraction pipeline: file -> pages -> blocks -> contract tree -> validated records.

Stages (one module each, pure functions named `x_to_y`, I/O only at the edges):
  pdfium.py   iter_raw_pages      PDF file -> characters, edges, filled shapes through PDFium (fast backend)
  layout.py   pdf_to_pages        PDF file -> pages of positioned words, marks, grids (the only pdfplumber import)
  isolate.py  pdf_to_pages_isolated  the same in a long-lived child process with time and memory limits
  html.py     html_to_blocks      HTML page -> blocks (selectolax)
  blocks.py   pages_to_blocks     pages -> blocks in reading order, running headers/footers set aside
  segment.py  blocks_to_tree      blocks -> contract tree (axes > objectives > actions, years, metadata)
  nlp.py      texts_to_mentions   spaCy SpanRuler: partners and target publics from the vocabularies
  enrich.py   tree_to_enrichment  themes, partners, publics, indicators, governance, contacts, territory facts
  extract.py  file_to_extraction  the whole chain, returning a validated schemas.ContractExtraction
"""

EXTRACTOR_VERSION = "0.5.0"
