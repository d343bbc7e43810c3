"""The worker's stderr survives two previews loading the face detector at the same time: muting
TFLite's start-up chatter must hand file descriptor 2 back as it found it."""

import os
import threading

from pipeline import face_analysis


def same_file(fd_stat, other_stat) -> bool:
    return (fd_stat.st_dev, fd_stat.st_ino) == (other_stat.st_dev, other_stat.st_ino)


def test_overlapping_mutes_from_two_threads_restore_stderr():
    before = os.fstat(2)
    first_inside, second_inside, first_done = threading.Event(), threading.Event(), threading.Event()

    def first():
        with face_analysis._native_stderr_muted():
            first_inside.set()
            second_inside.wait(timeout=1.0)  # give the second thread every chance to overlap
        first_done.set()

    def second():
        first_inside.wait(timeout=5)
        with face_analysis._native_stderr_muted():
            second_inside.set()
            first_done.wait(timeout=2.0)  # the worst order: the first leaves while the second is inside

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert same_file(os.fstat(2), before), "fd 2 was left pointing at /dev/null"
    assert not same_file(os.fstat(2), os.stat(os.devnull))


def test_stderr_is_muted_inside_and_back_after():
    with face_analysis._native_stderr_muted():
        assert same_file(os.fstat(2), os.stat(os.devnull))
    assert not same_file(os.fstat(2), os.stat(os.devnull))
