"""The ring flow: salesperson's phone → whisper → 1 bridges the customer; 2 passes on, 3 to
the BDC; no answer or a voicemail → the next on-duty salesperson → the BDC.

``legs`` chooses whom to ring and escalates; ``ring`` claims attempts and talks to the
provider; ``callbacks`` takes Twilio's status news; ``twiml`` answers the phone. Every Twilio
callback lands in a service here (the views in ``followup.views`` only check the signature and
parse the form); the sandbox drives the same services with the parameters Twilio would send.
"""
