"""Trade screening: UN DPRK sectoral measures by HS code (:mod:`.rules`) and the shipment
screen (:mod:`.shipments`, ``sanctionwatch shipments``) and mirror statistics of
partner-reported trade (:mod:`.mirror`, ``sanctionwatch mirror``)."""
