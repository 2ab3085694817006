// Turning a file the host produced (base64 in the JSON answer: a PDF document, an Excel report)
// into a Blob the page can show in a frame or offer for download.

/** The bytes of `base64` as a Blob of `type`. */
export function base64Blob(base64: string, type: string): Blob {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return new Blob([bytes], { type })
}

/** A rendered document as a PDF Blob. */
export function pdfBlob(base64: string): Blob {
  return base64Blob(base64, 'application/pdf')
}
