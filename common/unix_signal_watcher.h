// Turns SIGTERM/SIGINT into a Qt signal in the thread that owns the watcher.
// The handler only write()s the signal number to a socketpair (async-signal-safe); a
// QSocketNotifier reads it in the event loop (Qt docs: "Calling Qt Functions From Unix Signal
// Handlers"). One watcher per process.
#pragma once

#include <QObject>
#include <QSocketNotifier>

#include <initializer_list>

namespace lottery {

class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(std::initializer_list<int> signalNumbers, QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

signals:
    void signalReceived(int signalNumber);

private:
    void readPendingSignals();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace lottery
