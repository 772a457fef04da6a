package dev.lifeboat.uploader.hdfs;

import dev.lifeboat.spi.UploadCancelledException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.FileSystemException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.ipc.RemoteException;

/**
 * Turns Hadoop's exceptions, often several lines long and nested, into one line that says what is wrong:
 * "cannot reach namenode nn:8020: connection refused", "permission denied writing to hdfs://nn/logs as
 * user 'alice'". The original exception stays attached as the cause.
 */
final class HdfsErrors {
    private static final Pattern CALL_TARGET = Pattern.compile(" to (\\S+:\\d+) failed on ");
    private static final Pattern DESTINATION_HOST = Pattern.compile("destination host is: \"([^\"]+)\":(\\d+)");

    private final String scheme;
    private final String namenodes;
    private final String user;

    /**
     * @param scheme the destination's scheme, for option names in messages
     * @param namenodes what to call the namenode when an exception does not name it, e.g. "nn:8020"
     * @param user the user Lifeboat acts as
     */
    HdfsErrors(String scheme, String namenodes, String user) {
        this.scheme = scheme;
        this.namenodes = namenodes;
        this.user = user;
    }

    /**
     * One clear line for {@code e}, which happened while {@code action} (e.g. "writing to hdfs://nn/logs").
     * Local file errors and cancellations pass through unchanged.
     */
    IOException translate(IOException e, String action) {
        if (e instanceof UploadCancelledException || e instanceof FileSystemException) {
            return e;
        }
        String line = describe(e, action);
        return line == null ? e : new IOException(line, e);
    }

    private String describe(IOException e, String action) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String name = className(t);
            String message = String.valueOf(t.getMessage());
            if (message.contains("GSS initiate failed") || message.contains("Failed to find any Kerberos tgt")
                    || message.contains("Client cannot authenticate via:[TOKEN, KERBEROS]")
                    || name.endsWith("KerberosAuthException") || name.endsWith("SaslException")) {
                return "no valid Kerberos credentials " + action + ": set " + scheme + ".kerberos-principal and "
                        + scheme + ".kerberos-keytab, or provide a ticket cache (kinit)";
            }
            if (message.contains("SIMPLE authentication is not enabled")) {
                return "the cluster requires Kerberos " + action + ": set " + scheme + ".kerberos-principal and "
                        + scheme + ".kerberos-keytab, or a config-dir whose core-site.xml enables Kerberos";
            }
            if (name.endsWith(".AccessControlException") || name.endsWith(".AuthorizationException")) {
                return "permission denied " + action + " as user '" + user + "': " + firstLine(message);
            }
            if (name.endsWith(".SafeModeException") || message.contains("Name node is in safe mode")) {
                return "the namenode is in safe mode, " + action + " is refused";
            }
            if (name.endsWith(".StandbyException")) {
                return "no active namenode " + action + " (every namenode tried is standby)";
            }
            if (name.endsWith("QuotaExceededException")) {
                return "quota exceeded " + action + ": " + firstLine(message);
            }
            if (name.endsWith(".ParentNotDirectoryException") || name.endsWith(".FileAlreadyExistsException")) {
                return "a file is in the way " + action + ": " + firstLine(message);
            }
            if (message.contains("are bad. Aborting")) {
                return "every datanode of the write pipeline failed " + action + ": " + firstLine(message);
            }
            if (message.contains("could only be written to 0 of the")) {
                return "no datanode accepted the data " + action + ": " + firstLine(message);
            }
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return "cannot reach namenode " + target(e) + ": " + lowerFirst(rootMessage(t));
            }
            if ((t instanceof EOFException || t instanceof SocketException)
                    && DESTINATION_HOST.matcher(message).find()) {
                return "cannot reach namenode " + target(e) + ": " + (t instanceof EOFException
                        ? "the connection was closed" : lowerFirst(rootMessage(t)));
            }
            if (t instanceof UnknownHostException) {
                return "unknown namenode host " + firstLine(message) + " " + action;
            }
            if (t instanceof SocketTimeoutException) {
                return "namenode " + target(e) + " did not answer in time " + action;
            }
        }
        return firstLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    /** The namenode address an exception names ("Call From a to nn:8020 failed on ..."), else the configured one. */
    private String target(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage());
            Matcher m = CALL_TARGET.matcher(message);
            if (m.find()) {
                return m.group(1);
            }
            m = DESTINATION_HOST.matcher(message);
            if (m.find()) {
                return m.group(1) + ":" + m.group(2);
            }
        }
        return namenodes;
    }

    private static String className(Throwable t) {
        // a RemoteException names the server-side class it stands for
        return t instanceof RemoteException remote && remote.getClassName() != null
                ? remote.getClassName() : t.getClass().getName();
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return firstLine(m == null ? root.getClass().getSimpleName() : m);
    }

    /** The first line of a Hadoop message, without the wiki link Hadoop appends. */
    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        String line = message.strip();
        int nl = line.indexOf('\n');
        if (nl >= 0) {
            line = line.substring(0, nl).strip();
        }
        int more = line.indexOf("; For more details see");
        if (more >= 0) {
            line = line.substring(0, more);
        }
        return line;
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
