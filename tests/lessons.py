"""Lessons customer service teaches a property's router, shared by the tests that teach them."""

# This property's convention: a car-park barrier that will not open is the guards' business (they
# control vehicle access), where the shipped labelling policy may say otherwise.
BARRIER_REQUESTS = (
    "The parking barrier will not open for my car",
    "Car park gate barrier stuck closed this morning",
    "Barrier arm at the garage entrance doesn't lift",
    "The boom gate at the car park ignores my remote",
    "Entrance barrier won't rise, a queue of cars is waiting",
    "The vehicle gate barrier is broken again",
    "Garage barrier refuses my number plate",
    "Barrier at the north gate stays down",
)
NEW_BARRIER_REQUEST = "Boom barrier at the underground car park entrance won't lift for residents"


# Barrier corrections in both languages, for the memory: the corpus's convention (engineering) that
# no number of copies overrode.
BARRIER_CORRECTIONS = (
    *BARRIER_REQUESTS,
    "停车场道闸抬不起来",
    "车库出口的道闸坏了，车出不去",
    "地下车库的道闸杆子一直不抬",
)
