"""Stories and figures: the stage after store and before alert.

    stored hit | article.Describer (figures.FigureReader over numbers.counts; the watch's
               entities, sources and wording) | keep.StoryKeeper: cluster.decide among the
               watch's open stories | stories row, hits.story_id, figures rows
               | Placement (a new story or a new figure: worth an immediate alert)

``spec`` validates the watch's ``[stories]`` and ``[figures]`` tables; ``review`` reads
stories and figures for the CLI, the page and exports; ``measure`` scores grouping and
figures on labeled entries (``monitor eval --stories``). Everything but ``keep`` and
``review`` is pure.
"""
