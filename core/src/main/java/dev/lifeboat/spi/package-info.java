/**
 * The uploader SPI: the only part of Lifeboat a plugin compiles against. JDK types only.
 *
 * <p>A plugin implements {@link dev.lifeboat.spi.UploaderFactory} and {@link dev.lifeboat.spi.Uploader},
 * lists the factory in {@code META-INF/services/dev.lifeboat.spi.UploaderFactory}, and proves itself with
 * the contract kit in {@code lifeboat-core}'s test-jar ({@code dev.lifeboat.testkit.AbstractUploaderContractTest}).
 */
package dev.lifeboat.spi;
