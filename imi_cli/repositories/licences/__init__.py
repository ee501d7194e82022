"""Euro cash-in-transit licences, Regulation (EU) No 1214/2011."""
