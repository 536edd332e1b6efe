"""Trade screening: UN DPRK sectoral measures by HS code (:mod:`.rules`) and the shipment
screen (:mod:`.shipments`, ``sanctionwatch shipments``)."""
