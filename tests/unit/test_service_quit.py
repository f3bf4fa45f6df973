"""Issue 10: System.OnQuit during playback. The service tells the player monitor to save the
user's place before it raises its own abort flag (which would abort that very request), and
its shutdown waits for it."""

from __future__ import annotations

from resources.lib.kodi import service as service_module


class RecordingPlayback:
    """The PlaybackScrobbling surface the service uses, recording what the service saw."""

    def __init__(self, service_ref):
        self.service_ref = service_ref
        self.calls = []

    def start(self):
        self.calls.append("start")

    def tick(self, online=True, now=None):
        pass

    def begin_quit(self):
        self.calls.append(("begin_quit", self.service_ref[0].should_abort()))

    def stop(self):
        self.calls.append(("stop", self.service_ref[0].should_abort()))


class Ctx:
    paths = None
    settings = None
    client = None

    def is_authorised(self):
        return False

    def close(self):
        pass


def test_quit_saves_the_playback_before_the_abort_flag_and_shutdown_waits_for_it(kodi):
    ref = []
    playback = RecordingPlayback(ref)
    service = service_module.AIOStreamsService(
        context_factory=lambda settings, should_abort: Ctx(),
        playback_factory=lambda ctx: playback,
    )
    ref.append(service)
    service._start_playback()
    service.monitor.onNotification("xbmc", "System.OnQuit", '{"exitcode": 0}')
    # begin_quit ran while the service's abort flag was still down, then the flag went up.
    assert playback.calls == ["start", ("begin_quit", False)]
    assert service.should_abort()
    service._shutdown()
    assert playback.calls[-1] == ("stop", True)


def test_a_playback_object_without_begin_quit_does_not_break_the_quit(kodi):
    class Plain:
        def start(self):
            pass

        def stop(self):
            pass

    service = service_module.AIOStreamsService(
        context_factory=lambda settings, should_abort: Ctx(),
        playback_factory=lambda ctx: Plain(),
    )
    service._start_playback()
    service.post_event("quit")
    assert service.should_abort()
