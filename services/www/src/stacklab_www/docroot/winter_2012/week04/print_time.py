"""The course's ws30 test script: print the time twice, as epoch seconds and as a datetime."""

import datetime
import time

print("Here is the time:", time.time())
print("and again:", datetime.datetime.now())
