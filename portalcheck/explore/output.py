"""The lines of `portalcheck explore`'s output that another program reads (`portalcheck teeth`
does): how many walks a run took. Here, apart from the command, so that reading them imports
neither Hypothesis nor a browser."""

NOTHING_FOUND = "explore: nothing found in {walks} walks ({steps} steps){ended}"
FIRST_CONTRADICTED = "explore: first contradicted in walk {walk} of {walks}"
