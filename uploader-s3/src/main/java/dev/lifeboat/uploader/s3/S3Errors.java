package dev.lifeboat.uploader.s3;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns SDK exceptions into one line that names what is wrong, without stack traces or credentials. */
final class S3Errors {
    static final String NO_CREDENTIALS =
            "no AWS credentials found (environment, profile, web identity, container or instance metadata)";

    private S3Errors() {}

    /** Whether the exception says a request ran out of its time (the deadline, for Lifeboat). */
    static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * One line for {@code e}.
     *
     * @param action what was being done, e.g. "writing to s3://b/p/"
     * @param bucket the bucket
     * @param region the region the client signs for
     * @param server the endpoint or "S3 in <region>"
     */
    static String describe(SdkException e, String action, String bucket, String region, String server) {
        if (e instanceof S3Exception) {
            return describeService((S3Exception) e, action, bucket, region);
        }
        if (isTimeout(e)) {
            return action + ": no answer from " + server + " before the deadline";
        }
        if (e instanceof SdkClientException && String.valueOf(e.getMessage()).contains("Unable to load credentials")) {
            return NO_CREDENTIALS;
        }
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            root = t;
            if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return action + ": cannot connect to " + server + " (" + oneLine(t.getMessage()) + ")";
            }
            if (t instanceof UnknownHostException) {
                return action + ": unknown host " + oneLine(t.getMessage()) + " (" + server + ")";
            }
            if (t instanceof SocketTimeoutException) {
                return action + ": " + server + " did not answer in time (" + oneLine(t.getMessage()) + ")";
            }
        }
        String message = root == e ? e.getMessage() : e.getMessage() + " (" + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
        return action + ": " + oneLine(message);
    }

    private static String describeService(S3Exception e, String action, String bucket, String region) {
        int status = e.statusCode();
        AwsErrorDetails details = e.awsErrorDetails();
        String code = details == null ? null : details.errorCode();
        Optional<String> bucketRegion = details == null || details.sdkHttpResponse() == null ? Optional.empty()
                : details.sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region");
        if (status == 301 || "PermanentRedirect".equals(code) || "IllegalLocationConstraintException".equals(code)
                || ("AuthorizationHeaderMalformed".equals(code) && bucketRegion.isPresent())
                || (bucketRegion.isPresent() && !bucketRegion.get().equalsIgnoreCase(region)
                        && (status == 400 || status == 403))) {
            if (bucketRegion.isPresent()) {
                return "bucket '" + bucket + "' is in region " + bucketRegion.get() + ", not " + region
                        + ": set s3.region=" + bucketRegion.get();
            }
            return "bucket '" + bucket + "' is not in region " + region + " (the server redirects elsewhere):"
                    + " set s3.region to the bucket's region";
        }
        if ("NoSuchBucket".equals(code) || (status == 404 && code == null)
                || (status == 404 && String.valueOf(code).toLowerCase(Locale.ROOT).contains("notfound")
                    && action.startsWith("checking"))) {
            return "bucket '" + bucket + "' does not exist";
        }
        if ("InvalidAccessKeyId".equals(code)) {
            return "access denied " + action + ": the access key id is not known to the server (InvalidAccessKeyId)";
        }
        if ("SignatureDoesNotMatch".equals(code)) {
            return "access denied " + action + ": the request signature does not match, check the secret access key"
                    + " (SignatureDoesNotMatch)";
        }
        if ("ExpiredToken".equals(code) || "InvalidToken".equals(code) || "TokenRefreshRequired".equals(code)) {
            return "access denied " + action + ": the session token is expired or invalid (" + code + ")";
        }
        if (status == 403) {
            return "access denied " + action + (code == null ? "" : " (" + code + ")")
                    + ": the credentials may not do this, or the bucket policy forbids it";
        }
        if ("BadDigest".equals(code) || "InvalidDigest".equals(code) || (code != null && code.contains("Checksum"))) {
            return action + ": the server rejected the bytes, their checksum does not match (" + code + ")";
        }
        String message = details == null ? e.getMessage() : details.errorMessage();
        return action + ": " + (code == null ? "" : code + " ") + "(HTTP " + status + ")"
                + (message == null || message.isBlank() ? "" : ": " + oneLine(message));
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.strip();
        int nl = line.indexOf('\n');
        if (nl >= 0) {
            line = line.substring(0, nl).strip();
        }
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
