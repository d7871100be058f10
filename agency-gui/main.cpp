// agency-gui: the desktop app for one agency. All the work is in lottery::agency_gui; main()
// reads the command line, shows the window and, for scripted use, starts the upload and saves
// a screenshot once the session has ended:
//   exit 0  winners received (and, with --screenshot, the PNG saved)
//   exit 1  the upload failed, or the screenshot could not be saved
//   exit 2  bad command line
// The language: --lang es|en, else the one chosen in the window (QSettings ui/language), else
// the system locale's; Spanish falls back to English for anything untranslated.
#include "agency_window.h"
#include "command_line.h"

#include "common/log.h"
#include "common/translations.h"
#include "lottery/agency/user_messages.h"

#include <QApplication>
#include <QCoreApplication>
#include <QPixmap>
#include <QSettings>
#include <QTextStream>
#include <QTimer>

using namespace lottery;
using namespace lottery::gui;

namespace {

// Saves the window once it has shown the session's end, then quits with the session's result.
void screenshotWhenFinished(AgencyWindow &window, const QString &path)
{
    auto capture = [&window, path](bool winners) {
        // One more turn of the event loop so the last changes are laid out and painted.
        QTimer::singleShot(100, &window, [&window, path, winners] {
            const bool saved = window.grab().save(path, "PNG");
            if (saved)
                LOTTERY_LOG_SUCCESS("screenshot").field(u"file", path);
            else
                LOTTERY_LOG_FAIL("screenshot")
                    .field(u"file", path)
                    .field(u"error", "cannot write the PNG");
            QApplication::exit(saved && winners ? 0 : 1);
        });
    };
    UploadController *controller = window.controller();
    QObject::connect(
        controller, &UploadController::winnersReady, &window, [capture] { capture(true); });
    QObject::connect(controller, &UploadController::failed, &window, [capture] { capture(false); });
}

// The application's names and the language (before the command line is parsed: its help and
// errors are in the chosen language too); the same for both application objects of main().
void setUpApplication(QSettings *settings)
{
    QCoreApplication::setOrganizationName(QStringLiteral("Loteria"));
    QCoreApplication::setApplicationName(QStringLiteral("agency-gui"));
    const QString requested = languageArgument(QCoreApplication::arguments());
    const auto language = parseLanguage(
        requested.isEmpty() ? settings->value(QStringLiteral("ui/language")).toString() : requested)
                              .value_or(systemLanguage());
    installTranslations(language, {QStringLiteral("agency"), agency::UserMessages::catalog()});
}

// A window system to show the window on: an X11 or Wayland display, or a Qt platform named in
// the environment or on the command line (e.g. offscreen).
bool windowSystemGiven(int argc, char **argv)
{
    for (const char *variable : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
        if (!qEnvironmentVariableIsEmpty(variable))
            return true;
    }
    for (int i = 1; i < argc; ++i) {
        const QByteArray argument(argv[i]);
        if (argument == "-platform" || argument == "--platform" || argument.startsWith("-platform=")
            || argument.startsWith("--platform="))
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    // --help, and a bad command line without a window system, need no window: they are answered
    // before QApplication, which aborts when it finds no display (over SSH, in a container, on
    // a server). With a display QApplication parses first, so that Qt's own options (-style,
    // -platform...) are taken out before ours are read.
    {
        QCoreApplication app(argc, argv);
        QSettings settings;
        setUpApplication(&settings);
        const GuiCommandLine commandLine = GuiCommandLine::parse(QCoreApplication::arguments());
        if (commandLine.status == GuiCommandLine::Status::Help) {
            QTextStream(stdout) << commandLine.text;
            return 0;
        }
        if (commandLine.status == GuiCommandLine::Status::Error && !windowSystemGiven(argc, argv)) {
            LOTTERY_LOG_FAIL("config").field(u"error", commandLine.text);
            return 2;
        }
    }

    QApplication app(argc, argv);
    // The installed loteria-agencia.desktop: its name and icon for the window.
    QGuiApplication::setDesktopFileName(QStringLiteral("loteria-agencia"));
    QSettings settings;
    setUpApplication(&settings);
    const GuiCommandLine commandLine = GuiCommandLine::parse(QApplication::arguments());
    switch (commandLine.status) {
    case GuiCommandLine::Status::Help: QTextStream(stdout) << commandLine.text; return 0;
    case GuiCommandLine::Status::Error:
        LOTTERY_LOG_FAIL("config").field(u"error", commandLine.text);
        return 2;
    case GuiCommandLine::Status::Ok: break;
    }

    AgencyWindow window(&settings);
    UploadSettings fields = window.fields();
    commandLine.applyTo(fields);
    window.setFields(fields);
    if (!commandLine.screenshotPath.isEmpty())
        screenshotWhenFinished(window, commandLine.screenshotPath);
    window.show();
    if (commandLine.start)
        QTimer::singleShot(0, &window, &AgencyWindow::startUpload);
    return QApplication::exec();
}
