#include "raw_floor.h"

#include <QElapsedTimer>
#include <QFile>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace lottery::bench {

namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

QString errnoText(const char *what)
{
    return QStringLiteral("%1: %2").arg(
        QLatin1String(what), QString::fromLocal8Bit(std::strerror(errno)));
}

bool writeAll(int fd, const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// One agency's stand-in: reads its file and writes it to the socket, as fast as both allow.
void sendFile(const QByteArray &path, quint16 port, std::atomic<bool> *failed)
{
    const int file = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = file >= 0 && sock >= 0
        && ::connect(sock, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    std::vector<char> buffer(kChunkBytes);
    while (ok) {
        const ssize_t n = ::read(file, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        ok = writeAll(sock, buffer.data(), static_cast<std::size_t>(n));
    }
    if (!ok)
        failed->store(true);
    if (sock >= 0)
        ::close(sock);
    if (file >= 0)
        ::close(file);
}

} // namespace

RawFloorResult measureRawFloor(const QStringList &files, const QString &outputPath)
{
    RawFloorResult result;
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener < 0
        || ::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || ::listen(listener, static_cast<int>(files.size())) != 0
        || ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        result.error = errnoText("cannot listen on 127.0.0.1");
        if (listener >= 0)
            ::close(listener);
        return result;
    }
    const int out = ::open(
        QFile::encodeName(outputPath).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        result.error = errnoText("cannot create the floor's output file");
        ::close(listener);
        return result;
    }

    QElapsedTimer clock;
    clock.start();
    std::atomic<bool> sendFailed {false};
    std::vector<std::thread> senders;
    const quint16 port = ntohs(address.sin_port);
    for (const QString &file : files)
        senders.emplace_back(sendFile, QFile::encodeName(file), port, &sendFailed);

    std::vector<pollfd> connections;
    bool ok = true;
    while (ok && connections.size() < static_cast<std::size_t>(files.size())) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0 && errno == EINTR)
            continue;
        ok = fd >= 0;
        if (ok)
            connections.push_back(pollfd {fd, POLLIN, 0});
    }
    std::vector<char> buffer(kChunkBytes);
    std::size_t open = connections.size();
    while (ok && open > 0) {
        if (::poll(connections.data(), connections.size(), -1) < 0) {
            ok = errno == EINTR;
            continue;
        }
        for (pollfd &connection : connections) {
            if (connection.fd < 0 || connection.revents == 0)
                continue;
            const ssize_t n = ::read(connection.fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                ::close(connection.fd);
                connection.fd = -1; // poll ignores it from now on
                --open;
                ok = ok && n == 0;
                continue;
            }
            ok = writeAll(out, buffer.data(), static_cast<std::size_t>(n));
            result.bytes += n;
        }
    }
    if (ok && ::fdatasync(out) != 0)
        ok = false;
    result.seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    if (!ok)
        result.error = errnoText("the floor's transfer failed");
    for (std::thread &sender : senders)
        sender.join();
    for (const pollfd &connection : connections) {
        if (connection.fd >= 0)
            ::close(connection.fd);
    }
    ::close(out);
    ::close(listener);
    if (ok && sendFailed.load()) {
        ok = false;
        result.error = QStringLiteral("a sender could not read its file or write its socket");
    }
    result.ok = ok;
    return result;
}

} // namespace lottery::bench
