class SchedulingError(Exception):
    status = 400


class SlotTaken(SchedulingError):
    status = 409


class NotFound(SchedulingError):
    status = 404
