// Turning a document the host rendered (base64 in the JSON answer) into a PDF blob the page can
// show in a frame or offer for download.

/** The PDF bytes of `base64` as a Blob of type application/pdf. */
export function pdfBlob(base64: string): Blob {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return new Blob([bytes], { type: 'application/pdf' })
}
