"""Stories and figures: the stage after store and before alert.

``numbers`` reads the numbers of a text (counts, years, dates, money...) for the figures.
"""
