<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_AR">
<context>
    <name>AgencyCli</name>
    <message>
        <source>agency-cli: %1
Try --help.
</source>
        <translation>agency-cli: %1
Pruebe con --help.
</translation>
    </message>
    <message>
        <source>agency-cli: the file %1 was not sent: it looks wrong.
</source>
        <translation>agency-cli: no se envió el archivo %1: parece estar mal.
</translation>
    </message>
    <message>
        <source>Nothing was sent. Fix the file; or, if it is right as it is, run again with --accept-suspicious-file.
</source>
        <translation>No se envió nada. Corrija el archivo; o, si está bien así, vuelva a ejecutar con --accept-suspicious-file.
</translation>
    </message>
    <message numerus="yes">
        <source>Receipt: %n bet(s) of agency %1 stored, SHA-256 %2
</source>
        <translation>
            <numerusform>Recibo: %n apuesta de la agencia %1 guardada, SHA-256 %2
</numerusform>
            <numerusform>Recibo: %n apuestas de la agencia %1 guardadas, SHA-256 %2
</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Your %n bet(s) are in the sealed draw (seal %1).
</source>
        <translation>
            <numerusform>Su apuesta está en el sorteo sellado (sello %1).
</numerusform>
            <numerusform>Sus %n apuestas están en el sorteo sellado (sello %1).
</numerusform>
        </translation>
    </message>
    <message>
        <source>agency-cli: the valid rows of %1 were sent, but the agency&apos;s upload was not closed: the file looks wrong as a whole.
</source>
        <translation>agency-cli: se enviaron las filas válidas de %1, pero la subida de la agencia no se cerró: el archivo en su conjunto parece equivocado.
</translation>
    </message>
    <message>
        <source>Fix the file and run again (only the rows still missing are sent); or, if it is right as it is, run again with --accept-suspicious-file to close the agency&apos;s upload.
</source>
        <translation>Corrija el archivo y ejecute de nuevo (solo se envían las filas que falten); o, si está bien así, ejecute de nuevo con --accept-suspicious-file para cerrar la subida de la agencia.
</translation>
    </message>
</context>
<context>
    <name>AgencyConfigLoader</name>
    <message>
        <source>%1: &apos;%2&apos; is not %3</source>
        <translation>%1: &apos;%2&apos; no es %3</translation>
    </message>
    <message>
        <source>an agency number from 1 to 4294967295</source>
        <translation>un número de agencia entre 1 y 4294967295</translation>
    </message>
    <message>
        <source>a log level (DEBUG, INFO, WARNING, ERROR)</source>
        <translation>un nivel de registro (DEBUG, INFO, WARNING, ERROR)</translation>
    </message>
    <message>
        <source>a batch size from 1 to 65535</source>
        <translation>un tamaño de lote entre 1 y 65535</translation>
    </message>
    <message>
        <source>a file path</source>
        <translation>una ruta de archivo</translation>
    </message>
    <message>
        <source>a window from 1 to 1024 batches</source>
        <translation>una ventana de 1 a 1024 lotes</translation>
    </message>
    <message>
        <source>a timeout from 1 to 86400 seconds</source>
        <translation>un plazo de 1 a 86400 segundos</translation>
    </message>
    <message>
        <source>a timeout from 0 (never reconnect) to 86400 seconds</source>
        <translation>un plazo de 0 (no reconectar nunca) a 86400 segundos</translation>
    </message>
    <message>
        <source>a readable CA certificate file</source>
        <translation>un archivo de certificado de CA que se pueda leer</translation>
    </message>
    <message>
        <source>%1: cannot read the file</source>
        <translation>%1: no se puede leer el archivo</translation>
    </message>
    <message>
        <source>%1: line %2, column %3: %4</source>
        <translation>%1: línea %2, columna %3: %4</translation>
    </message>
    <message>
        <source>%1: the top level must be a mapping of keys</source>
        <translation>%1: el primer nivel debe ser un mapa de claves</translation>
    </message>
    <message>
        <source>%1: must be a single value</source>
        <translation>%1: debe ser un solo valor</translation>
    </message>
    <message>
        <source>Uploads one agency&apos;s bets to the lottery server and prints its winners.
Settings: config.yaml, then CLI_* environment variables, then flags.</source>
        <translation>Sube las apuestas de una agencia al servidor de la lotería y muestra sus ganadores.
Configuración: config.yaml, luego las variables de entorno CLI_*, luego las opciones.</translation>
    </message>
    <message>
        <source>Show this help.</source>
        <translation>Muestra esta ayuda.</translation>
    </message>
    <message>
        <source>YAML settings (default ./config.yaml).</source>
        <translation>Configuración YAML (por omisión ./config.yaml).</translation>
    </message>
    <message>
        <source>file</source>
        <translation>archivo</translation>
    </message>
    <message>
        <source>Agency number (config id, CLI_ID).</source>
        <translation>Número de agencia (config id, CLI_ID).</translation>
    </message>
    <message>
        <source>Bets CSV (config data.file, CLI_DATA_FILE; default .data/agency-ID.csv).</source>
        <translation>CSV de apuestas (config data.file, CLI_DATA_FILE; por omisión .data/agency-ID.csv).</translation>
    </message>
    <message>
        <source>path</source>
        <translation>ruta</translation>
    </message>
    <message>
        <source>Bets per batch (config batch.maxAmount, CLI_BATCH_MAXAMOUNT).</source>
        <translation>Apuestas por lote (config batch.maxAmount, CLI_BATCH_MAXAMOUNT).</translation>
    </message>
    <message>
        <source>DEBUG, INFO, WARNING or ERROR (config log.level, CLI_LOG_LEVEL).</source>
        <translation>DEBUG, INFO, WARNING o ERROR (config log.level, CLI_LOG_LEVEL).</translation>
    </message>
    <message>
        <source>level</source>
        <translation>nivel</translation>
    </message>
    <message>
        <source>Seconds to keep retrying the connection (default 30).</source>
        <translation>Segundos durante los que se reintenta la conexión (por omisión 30).</translation>
    </message>
    <message>
        <source>Seconds to keep reconnecting after a lost connection, 0 for never (config reconnect.timeout, CLI_RECONNECT_TIMEOUT; default 60).</source>
        <translation>Segundos durante los que se intenta reconectar después de perder la conexión, 0 para nunca (config reconnect.timeout, CLI_RECONNECT_TIMEOUT; por omisión 60).</translation>
    </message>
    <message>
        <source>Unacknowledged batches in flight (default 128).</source>
        <translation>Lotes enviados sin confirmar a la vez (por omisión 128).</translation>
    </message>
    <message>
        <source>PEM CA to verify the server with; turns TLS on (config ca, CLI_CA).</source>
        <translation>CA en PEM con la que verificar el servidor; activa TLS (config ca, CLI_CA).</translation>
    </message>
    <message>
        <source>File holding the agency&apos;s token (config tokenFile, CLI_TOKEN_FILE).</source>
        <translation>Archivo con el token de la agencia (config tokenFile, CLI_TOKEN_FILE).</translation>
    </message>
    <message>
        <source>The agency&apos;s token (config token, CLI_TOKEN). Visible to other local users in `ps`: prefer --token-file.</source>
        <translation>El token de la agencia (config token, CLI_TOKEN). Otros usuarios del equipo lo ven en `ps`: mejor use --token-file.</translation>
    </message>
    <message>
        <source>secret</source>
        <translation>secreto</translation>
    </message>
    <message>
        <source>Log lines only, also on a terminal (without it, a terminal on stderr shows a progress bar).</source>
        <translation>Solo las líneas de registro, también en una terminal (sin esta opción, una terminal en stderr muestra una barra de progreso).</translation>
    </message>
    <message>
        <source>Language of the messages to a person: es or en (default: the system&apos;s). Log lines are always the same.</source>
        <translation>Idioma de los mensajes para las personas: es o en (por omisión, el del sistema). Las líneas de registro no cambian.</translation>
    </message>
    <message>
        <source>unexpected argument &apos;%1&apos;</source>
        <translation>argumento inesperado &apos;%1&apos;</translation>
    </message>
    <message>
        <source>%1: no such file (named with --config)</source>
        <translation>%1: no existe el archivo (indicado con --config)</translation>
    </message>
    <message>
        <source>environment %1</source>
        <translation>variable de entorno %1</translation>
    </message>
    <message>
        <source>the agency number is not set (config id, CLI_ID or --agency)</source>
        <translation>falta el número de agencia (config id, CLI_ID o --agency)</translation>
    </message>
    <message>
        <source>--lang must be es or en, not &apos;%1&apos;</source>
        <translation>--lang debe ser es o en, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>%1: &apos;%2&apos; is not a HOST:PORT address or a list a:PORT,b:PORT (%3)</source>
        <translation>%1: &apos;%2&apos; no es una dirección HOST:PUERTO ni una lista a:PUERTO,b:PUERTO (%3)</translation>
    </message>
    <message>
        <source>Server address, or a list a:PORT,b:PORT to fail over along in order (config server.address, CLI_SERVER_ADDRESS).</source>
        <translation>Dirección del servidor, o una lista a:PUERTO,b:PUERTO que se recorre en orden cuando uno falla (config server.address, CLI_SERVER_ADDRESS).</translation>
    </message>
    <message>
        <source>host:port[,host:port...]</source>
        <translation>host:puerto[,host:puerto...]</translation>
    </message>
    <message>
        <source>1, true, yes, 0, false or no</source>
        <translation>1, true, yes, 0, false o no</translation>
    </message>
    <message>
        <source>Send the file even if it looks wrong (not UTF-8, &apos;;&apos;-separated, a header row, no valid rows or many invalid ones); without it such a file is refused and nothing is sent (CLI_ACCEPT_SUSPICIOUS_FILE=1).</source>
        <translation>Enviar el archivo aunque parezca estar mal (no es UTF-8, separado por &apos;;&apos;, una fila de encabezado, ninguna fila válida o muchas inválidas); sin esto, un archivo así se rechaza y no se envía nada (CLI_ACCEPT_SUSPICIOUS_FILE=1).</translation>
    </message>
    <message>
        <source>Write the server&apos;s receipt for this agency&apos;s stored bets to this file (config receipt.file, CLI_RECEIPT_FILE).</source>
        <translation>Escribe en este archivo el recibo del servidor por las apuestas guardadas de esta agencia (config receipt.file, CLI_RECEIPT_FILE).</translation>
    </message>
    <message>
        <source>%1: unknown key `%2`; did you mean `%3`?</source>
        <translation>%1: clave desconocida `%2`; ¿quiso decir `%3`?</translation>
    </message>
    <message>
        <source>%1: unknown key `%2` (the keys: %3)</source>
        <translation>%1: clave desconocida `%2` (las claves: %3)</translation>
    </message>
    <message>
        <source>%1: a key must be a plain name</source>
        <translation>%1: una clave debe ser un nombre simple</translation>
    </message>
    <message>
        <source>%1: `%2`: the parts of a key go on their own lines, each under the one before (server:, then address:)</source>
        <translation>%1: `%2`: las partes de una clave van en líneas propias, cada una debajo de la anterior (server:, luego address:)</translation>
    </message>
    <message>
        <source>%1: `%2` must be a mapping of %3, not a single value</source>
        <translation>%1: `%2` debe agrupar %3, no tener un valor propio</translation>
    </message>
    <message>
        <source>environment</source>
        <translation>entorno</translation>
    </message>
</context>
<context>
    <name>lottery::agency::TerminalProgress</name>
    <message>
        <source>Line %1 not sent: %2</source>
        <translation>Línea %1 no enviada: %2</translation>
    </message>
    <message>
        <source>Connecting to the server... (attempt %1)</source>
        <translation>Conectando con el servidor... (intento %1)</translation>
    </message>
    <message>
        <source>Connecting to the server...</source>
        <translation>Conectando con el servidor...</translation>
    </message>
    <message>
        <source>finishing</source>
        <translation>terminando</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>faltan %1</translation>
    </message>
    <message>
        <source>sent %1 · stored %2 · %3 bets/s · %4</source>
        <translation>enviadas %1 · guardadas %2 · %3 apuestas/s · %4</translation>
    </message>
    <message>
        <source>Draw done.</source>
        <translation>Sorteo hecho.</translation>
    </message>
    <message>
        <source>Failed.</source>
        <translation>Falló.</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Detenido.</translation>
    </message>
    <message>
        <source>No winners for this agency.</source>
        <translation>Esta agencia no tiene ganadores.</translation>
    </message>
    <message>
        <source>and %1 more</source>
        <translation>y %1 más</translation>
    </message>
    <message>
        <source>stored %1 · %2 bets/s · %3</source>
        <translation>guardadas %1 · %2 apuestas/s · %3</translation>
    </message>
    <message>
        <source>%1 bets/s · %2</source>
        <translation>%1 apuestas/s · %2</translation>
    </message>
    <message>
        <source>%1 bets/s</source>
        <translation>%1 apuestas/s</translation>
    </message>
    <message>
        <source>Upload interrupted (%1); reconnecting, to the next server of the list if there is one, for up to %2 s...</source>
        <translation>Subida interrumpida (%1); se intenta reconectar, al siguiente servidor de la lista si lo hay, durante hasta %2 s...</translation>
    </message>
    <message>
        <source>The upload failed: %1.</source>
        <translation>Falló la subida: %1.</translation>
    </message>
    <message>
        <source>Detail: %1</source>
        <translation>Detalle: %1</translation>
    </message>
    <message numerus="yes">
        <source>The %Ln bet is stored; waiting for the draw (every agency must finish)...</source>
        <translation>
            <numerusform>La %Ln apuesta está guardada; esperando el sorteo (deben terminar todas las agencias)...</numerusform>
            <numerusform>Las %Ln apuestas están guardadas; esperando el sorteo (deben terminar todas las agencias)...</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>All %Ln bets stored; waiting for the draw (every agency must finish)...</source>
        <translation>
            <numerusform>La %Ln apuesta está guardada; esperando el sorteo (deben terminar todas las agencias)...</numerusform>
            <numerusform>Las %Ln apuestas están guardadas; esperando el sorteo (deben terminar todas las agencias)...</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Stopped. The server keeps the %Ln bet it stored; running again resumes after it.</source>
        <translation>
            <numerusform>Detenido. El servidor conserva la %Ln apuesta que guardó; al volver a ejecutar se sigue después de ella.</numerusform>
            <numerusform>Detenido. El servidor conserva las %Ln apuestas que guardó; al volver a ejecutar se sigue después de ellas.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Stopped. The server keeps the %Ln bets it stored; running again resumes after them.</source>
        <translation>
            <numerusform>Detenido. El servidor conserva la %Ln apuesta que guardó; al volver a ejecutar se sigue después de ella.</numerusform>
            <numerusform>Detenido. El servidor conserva las %Ln apuestas que guardó; al volver a ejecutar se sigue después de ellas.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The server keeps the %Ln bet it stored; running again resumes after it.</source>
        <translation>
            <numerusform>El servidor conserva la %Ln apuesta que guardó; al volver a ejecutar se sigue después de ella.</numerusform>
            <numerusform>El servidor conserva las %Ln apuestas que guardó; al volver a ejecutar se sigue después de ellas.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The server keeps the %Ln bets it stored; running again resumes after them.</source>
        <translation>
            <numerusform>El servidor conserva la %Ln apuesta que guardó; al volver a ejecutar se sigue después de ella.</numerusform>
            <numerusform>El servidor conserva las %Ln apuestas que guardó; al volver a ejecutar se sigue después de ellas.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Agency %1: %Ln bet stored on the server (%2 in this run, %3 s).</source>
        <translation>
            <numerusform>Agencia %1: %Ln apuesta guardada en el servidor (%2 en esta ejecución, %3 s).</numerusform>
            <numerusform>Agencia %1: %Ln apuestas guardadas en el servidor (%2 en esta ejecución, %3 s).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Agency %1: %Ln bets stored on the server (%2 in this run, %3 s).</source>
        <translation>
            <numerusform>Agencia %1: %Ln apuesta guardada en el servidor (%2 en esta ejecución, %3 s).</numerusform>
            <numerusform>Agencia %1: %Ln apuestas guardadas en el servidor (%2 en esta ejecución, %3 s).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln winner (document): %1</source>
        <translation>
            <numerusform>%Ln ganador (documento): %1</numerusform>
            <numerusform>%Ln ganadores (documentos): %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln winners (documents): %1</source>
        <translation>
            <numerusform>%Ln ganador (documento): %1</numerusform>
            <numerusform>%Ln ganadores (documentos): %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid row of the file was not sent (listed above).</source>
        <translation>
            <numerusform>%Ln fila inválida del archivo no se envió (figura arriba).</numerusform>
            <numerusform>%Ln filas inválidas del archivo no se enviaron (figuran arriba).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid rows of the file were not sent (listed above).</source>
        <translation>
            <numerusform>%Ln fila inválida del archivo no se envió (figura arriba).</numerusform>
            <numerusform>%Ln filas inválidas del archivo no se enviaron (figuran arriba).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln invalid rows of the file were not sent; the first %1 are listed above.</source>
        <translation>
            <numerusform>%Ln fila inválida del archivo no se envió; arriba figuran las primeras %1.</numerusform>
            <numerusform>%Ln filas inválidas del archivo no se enviaron; arriba figuran las primeras %1.</numerusform>
        </translation>
    </message>
</context>
</TS>
