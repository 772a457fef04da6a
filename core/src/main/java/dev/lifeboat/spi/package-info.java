/**
 * The uploader SPI: the only part of Lifeboat a plugin compiles against. JDK types only.
 *
 * <p>A plugin implements {@link dev.lifeboat.spi.UploaderFactory} and {@link dev.lifeboat.spi.Uploader},
 * lists the factory in {@code META-INF/services/dev.lifeboat.spi.UploaderFactory}, and proves itself with
 * the contract kit in {@code lifeboat-core}'s test-jar ({@code dev.lifeboat.testkit.AbstractUploaderContractTest}).
 *
 * <p>Helpers every uploader uses, and plugins may: {@link dev.lifeboat.spi.Keys} (the one rule set for keys),
 * {@link dev.lifeboat.spi.BoundedCall} (a blocking call within an {@link dev.lifeboat.spi.UploadControl}),
 * {@link dev.lifeboat.spi.Checksums} (the one checksum encoding of {@link dev.lifeboat.spi.UploadResult}) and
 * {@link dev.lifeboat.spi.Sizes} (the one size syntax of options).
 */
package dev.lifeboat.spi;
