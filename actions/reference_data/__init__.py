"""Reference data (member states, bodies, plans, focus areas, action items, continuity links)
loaded from the CSV files described in data/README.md.

Every file is read and every row checked before anything is written; then one transaction
updates rows in place by their natural keys and records each change as a ReferenceChange.
"""

from .files import KINDS, Problem, ReferenceDataError
from .loader import Report, load_reference_data

__all__ = ["KINDS", "Problem", "ReferenceDataError", "Report", "load_reference_data"]
