"""The BDC's day: its worklist, and leads going back to the salespeople in the morning."""
